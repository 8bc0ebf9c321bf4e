"""Reads for the front door. Every read of a referral is scoped to the user asking."""
