-- GO 3 runs the batch three times.
INSERT INTO ${strata:schema}.customers (email) VALUES (CONCAT(N'demo-', NEWID(), N'@example.com'));
GO 3
