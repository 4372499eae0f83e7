"""Exact certificates of condition equivalence (z3): proofs of true identities, witnesses of
false ones that substitute back, spot checks where terms are not algebraic, and a budget."""

from __future__ import annotations

import pytest
import sympy

from incentive_geometry.errors import ModelError
from incentive_geometry.solvers.symbolic.certificates import Certificate, equivalence

a, b, x, t, c = sympy.symbols("a b x theta c", real=True)


def test_sign_rule_of_a_product_is_proved() -> None:
    same_sign = ((a > 0) & (b > 0)) | ((a < 0) & (b < 0))
    cert = equivalence(a * b > 0, same_sign, {a: (-3, 3), b: (-3, 3)})
    assert cert.status == "proved" and cert.proved


def test_am_gm_is_proved_and_its_strict_version_disproved_at_equality() -> None:
    # a**2 + b**2 >= 2ab everywhere (textbook); strictly greater fails exactly where a = b.
    assert equivalence(a**2 + b**2 >= 2 * a * b, sympy.true, {a: (None, None)}).proved
    cert = equivalence(a**2 + b**2 > 2 * a * b, sympy.true, {a: (-1, 1), b: (-1, 1)})
    assert cert.status == "disproved" and cert.witness_checked
    w = cert.witness
    assert w is not None and w["a"] == w["b"]


def test_denominators_are_cleared_with_their_sign() -> None:
    # 1/x > 1 holds exactly for 0 < x < 1; multiplying by x without its sign would give x < 1.
    box = {x: (-2, 2)}
    assert equivalence(1 / x > 1, (x > 0) & (x < 1), box).proved
    cert = equivalence(1 / x > 1, x < 1, box)
    assert cert.status == "disproved" and cert.witness_checked
    assert cert.witness is not None and cert.witness["x"] < 0
    assert "x" in " ".join(cert.excluded)  # x = 0 is outside both comparisons, and said so


def test_the_paper_threshold_is_proved_and_a_moved_one_disproved() -> None:
    # x = 1 of the entrenchment model is stable iff theta < theta* (Daniel 2025, section 3).
    al, bb, g = sympy.symbols("alpha b gamma", positive=True)
    cond = al * (1 - t) * (bb + g) > t * c
    star = al * (bb + g) / (al * (bb + g) + c)
    box = {t: (0, 1), al: (0, None), bb: (0, None), g: (0, None), c: (0, None)}
    assert equivalence(cond, t < star, box, positive=[c]).proved
    moved = equivalence(cond, t < 1.001 * star, box, positive=[c])
    assert moved.status == "disproved" and moved.witness_checked
    w = {s: moved.witness[s.name] for s in (t, al, bb, g, c)}
    assert bool(cond.xreplace(w)) != bool((t < sympy.Rational(1001, 1000) * star).xreplace(w))


def test_non_algebraic_terms_are_spot_checked_with_their_count() -> None:
    box = {t: (0, 1), c: (0, 1)}
    cert = equivalence(sympy.sqrt(t) > c, t > c**2, box, positive=[c], points=80)
    assert cert.status == "spot-checked" and cert.points == 80
    assert "not semi-algebraic" in cert.detail and "not a proof" in cert.detail
    # A false claim with a non-algebraic term is caught by the spot check, with a witness.
    wrong = equivalence(sympy.exp(t) > 1 + 2 * t, t > 0, box, points=200)
    assert wrong.status == "disproved" and wrong.witness_checked


def test_a_hard_query_ends_within_its_budget() -> None:
    # Many products of high degree; with a tiny budget z3 cannot finish, and the answer is a
    # spot check rather than a hang (or, if z3 is fast, a proof). Never a false disproof.
    vs = sympy.symbols("v0:5", real=True)
    p = sympy.prod([(v**2 - v + 1) for v in vs]) * sum(v**4 for v in vs) - sympy.prod(vs)
    cert = equivalence(p >= 0, sympy.true, dict.fromkeys(vs, (-5, 5)), timeout=0.05, points=20)
    assert cert.status in ("spot-checked", "proved"), cert.detail
    if cert.status == "spot-checked":
        assert 0 < cert.points <= 20


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ModelError, match="timeout"):
        equivalence(a > 0, a > 0, {a: (0, 1)}, timeout=0)
    with pytest.raises(ModelError, match="conditions"):
        equivalence(a + 1, a > 0, {a: (0, 1)})
    with pytest.raises(ModelError, match="sympy conditions"):
        equivalence("a > 0", a > 0, {a: (0, 1)})


def test_summary() -> None:
    assert Certificate("proved", "").summary() == "proved"
    assert "witness a = 1/2" in Certificate("disproved", "", {"a": sympy.Rational(1, 2)}).summary()
