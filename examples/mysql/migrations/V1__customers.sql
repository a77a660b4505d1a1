-- DDL commits on its own on MySQL: this file runs statement by statement,
-- its progress recorded after each statement, and a re-run after a
-- failure or a kill resumes at the statement that did not complete.
CREATE TABLE customers (
    id         INT AUTO_INCREMENT PRIMARY KEY,
    email      VARCHAR(320) NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
) ENGINE=InnoDB;

CREATE TABLE orders (
    id          INT AUTO_INCREMENT PRIMARY KEY,
    customer_id INT NOT NULL,
    total_cents INT NOT NULL,
    CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id)
) ENGINE=InnoDB;

CREATE INDEX orders_total ON orders (total_cents);
