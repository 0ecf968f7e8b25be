-- The staging database lives beside Airflow's metadata database on the same server.
CREATE DATABASE fortnox_staging OWNER airflow;
