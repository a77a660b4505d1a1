-- Reference data loaded with COPY ... FROM stdin, as pg_dump writes it: the
-- data lines (tab-separated) follow the statement and end with \.
CREATE TABLE countries (
    code char(2) PRIMARY KEY,
    name text NOT NULL
);

COPY countries (code, name) FROM stdin;
AT	Austria
BE	Belgium
DE	Germany
ES	Spain
FR	France
IT	Italy
NL	Netherlands
PT	Portugal
\.

ALTER TABLE customers ADD CONSTRAINT customers_country_fkey FOREIGN KEY (country) REFERENCES countries (code);
