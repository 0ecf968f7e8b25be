"""Vouchers to Fortnox: the outbox, voucher files read into it, approval, and posting exactly once."""
