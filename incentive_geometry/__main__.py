"""``python -m incentive_geometry`` runs ``incgeo``."""

from incentive_geometry.cli import main

main()
