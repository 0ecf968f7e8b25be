"""A local imitation of Fortnox (OAuth and the /3 API) serving generated, believable bookkeeping."""
