"""The local deployment of a checkout: `make up` (Airflow's services and the Fortnox sandbox, running until
`make down`), and what it and `make demo` leave behind for the command line (the Airflow home to ask for
connections, the token key)."""
