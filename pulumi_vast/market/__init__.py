"""Offer ranking and cost estimates: pure functions over the wire layer's models."""

from pulumi_vast.market.estimate import CostEstimate, estimate
from pulumi_vast.market.ranking import describe_offer, rank

__all__ = ["CostEstimate", "describe_offer", "estimate", "rank"]
