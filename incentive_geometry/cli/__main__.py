"""``python -m incentive_geometry.cli`` runs ``incgeo``."""

from incentive_geometry.cli import main

main()
