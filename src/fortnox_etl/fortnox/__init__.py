"""The Fortnox API client: OAuth, the encrypted token store, HTTP with pagination, and errors."""
