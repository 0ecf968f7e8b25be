-- /3/costcenters and /3/projects: the company's objects with their names, one row each per client.
CREATE TABLE IF NOT EXISTS raw_cost_centers (
    client_key          VARCHAR(40) NOT NULL,
    code                VARCHAR(40) NOT NULL,
    description         TEXT NOT NULL,
    active              BOOLEAN NOT NULL,
    load_id             VARCHAR(36) NOT NULL,
    loaded_at           VARCHAR(32) NOT NULL,
    PRIMARY KEY (client_key, code)
);
CREATE TABLE IF NOT EXISTS raw_projects (
    client_key          VARCHAR(40) NOT NULL,
    project_number      VARCHAR(40) NOT NULL,
    description         TEXT NOT NULL,
    status              TEXT,
    load_id             VARCHAR(36) NOT NULL,
    loaded_at           VARCHAR(32) NOT NULL,
    PRIMARY KEY (client_key, project_number)
);
