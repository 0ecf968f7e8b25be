"""Connecting a client to Fortnox, keeping its tokens alive, and what `fortnox-etl status` shows of each connection."""
