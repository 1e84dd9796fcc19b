"""Spaces shared by several test modules."""

from adaptive.space import Dimension, LinearConstraint, Space

#: The four flow fractions of the AgNP droplet synthesis, which share a sum constraint.
FRACTIONS = ("QAgNO3(%)", "Qpva(%)", "Qtsc(%)", "Qseed(%)")


def agnp_space(upper=100.0):
    """The 5-D AgNP recipe space with the fractions summing to at most ``upper``."""
    dims = (
        Dimension("QAgNO3(%)", low=4.5, high=42.8),
        Dimension("Qpva(%)", low=10.0, high=40.0),
        Dimension("Qtsc(%)", low=0.5, high=30.5),
        Dimension("Qseed(%)", low=0.5, high=19.5),
        Dimension("Qtot(uL/min)", low=200.0, high=983.0, step=1.0),
    )
    return Space(dims, (LinearConstraint(dict.fromkeys(FRACTIONS, 1.0), upper=upper),))
