"""A client's books from Fortnox into staging (full or incremental loads), with what each load cost and brought."""
