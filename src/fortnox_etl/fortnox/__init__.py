"""The Fortnox API client: OAuth, the encrypted token store, HTTP with pagination, errors, secrets kept out of
the logs, and a client's context (its staging database, tokens and API) that every stage works with."""
