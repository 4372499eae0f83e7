"""Pictures of architecture graphs and of signed interaction graphs.

Signs read without colour: a positive edge is a solid line with an arrowhead and the label
``+``, a negative edge a dashed line ending in a bar (the "repression" head of regulatory
networks) with the label ``−``, an edge that changes sign a dotted line with an arrowhead and
the label ``±``. Each function draws on a new figure (Agg canvas) or a given ``ax``, returns the
figure and saves it when `path` is given.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch
from matplotlib.path import Path as MplPath

from incentive_geometry.errors import ModelError
from incentive_geometry.model import Model
from incentive_geometry.solvers.numeric.plots import figure_and_axes, save_figure
from incentive_geometry.solvers.structure import interaction_graph

__all__ = ["plot_architecture", "plot_interaction_graph"]

# Line style, arrow style and label of each edge sign.
_SIGN_STYLE: dict[str, tuple[str, str, str]] = {
    "+": ("solid", "-|>,head_length=0.6,head_width=0.3", "+"),
    "-": ("dashed", "-[,widthB=0.8,lengthB=0.0", "\u2212"),
    "±": ("dotted", "-|>,head_length=0.6,head_width=0.3", "±"),
}
# Marker and fill of each role.
_ROLE_STYLE: dict[str, tuple[str, str]] = {
    "principal": ("s", "0.55"),
    "routine": ("o", "white"),
    "proxy": ("D", "0.85"),
    "auditor": ("^", "0.85"),
}


def _circle_layout(nodes: list[Any]) -> dict[Any, tuple[float, float]]:
    n = len(nodes)
    if n == 1:
        return {nodes[0]: (0.0, 0.0)}
    if n == 2:
        return {nodes[0]: (-1.0, 0.0), nodes[1]: (1.0, 0.0)}
    return {
        v: (
            math.cos(math.pi / 2 - 2 * math.pi * k / n),
            math.sin(math.pi / 2 - 2 * math.pi * k / n),
        )
        for k, v in enumerate(nodes)
    }


def _edge(
    ax: Any,
    pos: Mapping[Any, tuple[float, float]],
    u: Any,
    v: Any,
    *,
    linestyle: str,
    arrowstyle: str,
    label: str,
    size: float,
    rad: float = 0.18,
    loop_dir: float = math.pi / 2,
) -> None:
    """One edge as a FancyArrowPatch, its label beside its middle (above a self-loop)."""
    (x0, y0), (x1, y1) = pos[u], pos[v]
    if u == v:
        # A self-loop: a circle beside the node in the direction `loop_dir` (an angle), entered
        # and left near the node's boundary; the label beyond it.
        r = 0.75 * size
        ux, uy = math.cos(loop_dir), math.sin(loop_dir)
        cx, cy = x0 + ux * (size + 0.6 * r), y0 + uy * (size + 0.6 * r)
        # From 30 degrees past the node side round the far side of the circle, back to it.
        back = loop_dir + math.pi
        angles = np.linspace(back + math.radians(30), back + math.radians(330), 40)
        verts = [(cx + r * math.cos(a), cy + r * math.sin(a)) for a in angles]
        patch = FancyArrowPatch(
            path=MplPath(verts),
            arrowstyle=arrowstyle,
            linestyle=linestyle,
            mutation_scale=14,
            lw=1.4,
            color="black",
        )
        ax.add_patch(patch)
        ax.text(
            cx + ux * (r + 0.13),
            cy + uy * (r + 0.13),
            label,
            ha="center",
            va="center",
            fontsize=11,
            bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none"},
        )
        return
    d = np.array([x1 - x0, y1 - y0])
    length = float(np.hypot(*d)) or 1.0
    unit = d / length
    start = np.array([x0, y0]) + unit * size
    end = np.array([x1, y1]) - unit * size
    patch = FancyArrowPatch(
        tuple(start),
        tuple(end),
        connectionstyle=f"arc3,rad={rad}",
        arrowstyle=arrowstyle,
        linestyle=linestyle,
        mutation_scale=14,
        lw=1.4,
        color="black",
    )
    ax.add_patch(patch)
    # arc3 bends to the right of the direction of travel by rad * length at the middle.
    normal = np.array([unit[1], -unit[0]])
    mid = (start + end) / 2 + normal * (rad * float(np.hypot(*(end - start))) / 2 + 0.06)
    ax.text(
        mid[0],
        mid[1],
        label,
        ha="center",
        va="center",
        fontsize=11,
        bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none"},
    )


def _finish(ax: Any, pos: Mapping[Any, tuple[float, float]], pad: float) -> None:
    xs = [p[0] for p in pos.values()]
    ys = [p[1] for p in pos.values()]
    ax.set_xlim(min(xs) - pad, max(xs) + pad)
    ax.set_ylim(min(ys) - pad, max(ys) + pad + 0.25)
    ax.set_aspect("equal")
    ax.axis("off")


def plot_interaction_graph(
    model_or_graph: Model | nx.DiGraph,
    *,
    params: Mapping[str, float] | None = None,
    ax: Any = None,
    path: str | Path | None = None,
    title: str | None = None,
) -> Figure:
    """Draw a model's signed interaction graph.

    Parameters
    ----------
    model_or_graph : Model or networkx.DiGraph
        A model, or a graph from
        :func:`~incentive_geometry.solvers.structure.interaction_graph`.
    params : mapping of str to float, optional
        Parameter point for numerically decided signs (a Model only).
    ax : matplotlib Axes, optional
    path : str or Path, optional
        Save the figure there (``.png``, ``.svg`` or ``.pdf``).
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ModelError
        For an argument that is neither, or a bad file suffix.

    Examples
    --------
    >>> from incentive_geometry.theory import holmstrom_milgrom
    >>> from incentive_geometry.solvers.numeric.graph_plots import plot_interaction_graph
    >>> fig = plot_interaction_graph(holmstrom_milgrom())
    >>> sorted(t.get_text() for t in fig.axes[0].texts)
    ['+', 'beta', 'e', '−', '−', '−']
    """
    if isinstance(model_or_graph, Model):
        g = interaction_graph(model_or_graph, params)
    elif isinstance(model_or_graph, nx.DiGraph):
        g = model_or_graph
    else:
        raise ModelError(
            f"`model_or_graph` must be a Model or an interaction graph, got "
            f"{model_or_graph!r:.60} ({type(model_or_graph).__name__})"
        )
    fig, ax = figure_and_axes(ax)
    nodes = list(g.nodes)
    pos = _circle_layout(nodes)
    size = 0.22
    for v in nodes:
        x, y = pos[v]
        ax.add_patch(_node_patch(x, y, size, "o", "white"))
        ax.text(x, y, str(v), ha="center", va="center", fontsize=12)
    cx = float(np.mean([p[0] for p in pos.values()]))
    cy = float(np.mean([p[1] for p in pos.values()]))
    for u, v, d in g.edges(data=True):
        linestyle, arrowstyle, label = _SIGN_STYLE[d["sign"]]
        x, y = pos[u]
        # Self-loops point away from the middle of the picture, clear of the other edges.
        outward = math.atan2(y - cy, x - cx) if (x, y) != (cx, cy) else math.pi / 2
        _edge(
            ax,
            pos,
            u,
            v,
            linestyle=linestyle,
            arrowstyle=arrowstyle,
            label=label,
            size=size,
            loop_dir=outward,
        )
    _finish(ax, pos, pad=0.75)
    name = g.graph.get("model", "")
    ax.set_title(title if title is not None else f"signed interaction graph of {name}".strip())
    _legend(ax)
    save_figure(fig, path)
    return fig


def _edge_handle(linestyle: str, label: str) -> Any:
    """A legend line in an edge's style: a bar head for a dashed (inhibiting) edge, else >."""
    from matplotlib.lines import Line2D

    bar = linestyle == "dashed"
    return Line2D(
        [],
        [],
        color="black",
        linestyle=linestyle,
        marker="|" if bar else ">",
        markersize=10 if bar else 6,
        label=label,
    )


def _legend(ax: Any) -> None:
    handles = [
        _edge_handle("solid", "+  activates"),
        _edge_handle("dashed", "\u2212  inhibits"),
        _edge_handle("dotted", "±  sign changes"),
    ]
    ax.legend(
        handles=handles,
        loc="lower center",
        bbox_to_anchor=(0.5, -0.02),
        ncol=3,
        frameon=False,
        fontsize=9,
    )


def _node_patch(x: float, y: float, size: float, marker: str, fill: str) -> Any:
    from matplotlib.patches import Circle, Polygon, Rectangle

    if marker == "s":
        w = 1.8 * size
        return Rectangle((x - w, y - size), 2 * w, 2 * size, fc=fill, ec="black")
    if marker == "D":
        pts = [(x, y + 1.2 * size), (x + 1.2 * size, y), (x, y - 1.2 * size), (x - 1.2 * size, y)]
        return Polygon(pts, closed=True, fc=fill, ec="black")
    if marker == "^":
        pts = [
            (x, y + 1.25 * size),
            (x + 1.15 * size, y - 0.8 * size),
            (x - 1.15 * size, y - 0.8 * size),
        ]
        return Polygon(pts, closed=True, fc=fill, ec="black")
    return Circle((x, y), size, fc=fill, ec="black")


def _architecture_layout(graph: nx.DiGraph) -> dict[Any, tuple[float, float]]:
    """Principal on top, auditors left and proxies right in the middle, routines below."""
    by_role: dict[str, list[Any]] = {r: [] for r in _ROLE_STYLE}
    for n, role in graph.nodes(data="role"):
        by_role.setdefault(str(role), []).append(n)
    pos: dict[Any, tuple[float, float]] = {}
    routines = by_role["routine"]
    width = max(len(routines) - 1, 1) * 1.4
    for k, r in enumerate(routines):
        pos[r] = (-width / 2 + k * width / max(len(routines) - 1, 1), 0.0)
    for k, p in enumerate(by_role["principal"]):
        pos[p] = (0.0 + k, 2.4)
    for k, a in enumerate(by_role["auditor"]):
        pos[a] = (-width / 2 - 1.0, 1.2 + 0.9 * k)
    for k, p in enumerate(by_role["proxy"]):
        pos[p] = (width / 2 + 1.0, 1.2 + 0.9 * k)
    for n in graph.nodes:
        pos.setdefault(n, (0.0, -1.2))
    return pos


def plot_architecture(
    graph: nx.DiGraph,
    *,
    ax: Any = None,
    path: str | Path | None = None,
    title: str | None = None,
) -> Figure:
    """Draw an architecture graph: roles by shape, edge kinds and signs by line and head.

    The principal is a square, routines circles, proxy signals diamonds and auditors
    triangles. ``reinforces`` edges are solid with an arrowhead (sign +1) or dashed with a bar
    (sign -1); ``feeds_back`` edges dotted; ``observes`` edges dash-dotted. Each edge is
    labelled with its value (a number or a parameter name).

    Parameters
    ----------
    graph : networkx.DiGraph
        An architecture graph. Only what the drawing needs is checked here (roles, kinds and
        values present); :func:`incentive_geometry.theory.validate_architecture` checks the
        whole schema.
    ax : matplotlib Axes, optional
    path : str or Path, optional
        Save the figure there (``.png``, ``.svg`` or ``.pdf``).
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ModelError
        For a node without a known role, an edge without a known kind or its value, or a bad
        file suffix.

    Examples
    --------
    >>> from incentive_geometry.theory import canonical_architecture
    >>> from incentive_geometry.solvers.numeric.graph_plots import plot_architecture
    >>> fig = plot_architecture(canonical_architecture())
    >>> "+gamma" in [t.get_text() for t in fig.axes[0].texts]
    True
    """
    _check_drawable(graph)
    fig, ax = figure_and_axes(ax)
    pos = _architecture_layout(graph)
    size = 0.28
    for n, role in graph.nodes(data="role"):
        x, y = pos[n]
        marker, fill = _ROLE_STYLE[str(role)]
        ax.add_patch(_node_patch(x, y, size, marker, fill))
        ax.text(
            x,
            y - (0.05 if marker == "^" else 0.0),
            str(n),
            ha="center",
            va="center",
            fontsize=(7.5 if marker == "^" else 9) if len(str(n)) > 3 else 11,
        )
    for u, v, d in graph.edges(data=True):
        kind = d["kind"]
        if kind == "reinforces":
            sign = "+" if int(d.get("sign", 1)) > 0 else "-"
            linestyle, arrowstyle, mark = _SIGN_STYLE[sign]
            label = f"{mark}{d['weight']}"
        elif kind == "feeds_back":
            linestyle, arrowstyle = "dotted", _SIGN_STYLE["+"][1]
            label = f"+{d['weight']}"
        else:
            linestyle, arrowstyle = "dashdot", _SIGN_STYLE["+"][1]
            label = str(d["observability"])
        _edge(
            ax,
            pos,
            u,
            v,
            linestyle=linestyle,
            arrowstyle=arrowstyle,
            label=label,
            size=size,
            rad=0.08,
            loop_dir=-math.pi / 2,
        )
    _finish(ax, pos, pad=0.9)
    ax.set_title(
        title if title is not None else f"architecture {graph.graph.get('name', '')}".strip()
    )
    _architecture_legend(ax)
    save_figure(fig, path)
    return fig


_VALUE_KEY = {"reinforces": "weight", "feeds_back": "weight", "observes": "observability"}


def _check_drawable(graph: Any) -> None:
    if not isinstance(graph, nx.DiGraph):
        raise ModelError(
            f"`graph` must be a networkx.DiGraph, got {graph!r:.60} ({type(graph).__name__})"
        )
    for n, role in graph.nodes(data="role"):
        if role not in _ROLE_STYLE:
            raise ModelError(
                f"node `{n}` has role {role!r}; a role is one of {', '.join(_ROLE_STYLE)}"
            )
    for u, v, d in graph.edges(data=True):
        kind = d.get("kind")
        if kind not in _VALUE_KEY:
            raise ModelError(
                f"edge `{u}` -> `{v}` has kind {kind!r}; a kind is one of {', '.join(_VALUE_KEY)}"
            )
        if _VALUE_KEY[kind] not in d:
            raise ModelError(f"edge `{u}` -> `{v}` has no `{_VALUE_KEY[kind]}`")


def _architecture_legend(ax: Any) -> None:
    from matplotlib.lines import Line2D

    def node(marker: str, fill: str, label: str) -> Any:
        return Line2D(
            [],
            [],
            marker=marker,
            color="black",
            markerfacecolor=fill,
            linestyle="none",
            markersize=9,
            label=label,
        )

    handles = [
        node("s", "0.55", "principal"),
        node("o", "white", "routine"),
        node("D", "0.85", "proxy"),
        node("^", "0.85", "auditor"),
        _edge_handle("solid", "reinforces +"),
        _edge_handle("dashed", "reinforces \u2212"),
        _edge_handle("dotted", "feeds back"),
        _edge_handle("dashdot", "observes"),
    ]
    ax.legend(
        handles=handles,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.01),
        ncol=4,
        frameon=False,
        fontsize=8,
    )
