"""What changed and who hears of it. Pure: snapshots in; events, alerts and ops notices out."""
