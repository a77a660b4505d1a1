-- Names are qualified with ${strata:schema}: SQL Server cannot switch a
-- session's default schema, so unqualified names would land in dbo.
CREATE TABLE ${strata:schema}.customers (
    id         INT IDENTITY(1, 1) PRIMARY KEY,
    email      NVARCHAR(320) NOT NULL UNIQUE,
    created_at DATETIME2 NOT NULL DEFAULT SYSUTCDATETIME()
);
GO

-- CREATE VIEW must start a batch: GO separates it.
CREATE VIEW ${strata:schema}.recent_customers AS
SELECT id, email FROM ${strata:schema}.customers
WHERE created_at > DATEADD(DAY, -${retention_days}, SYSUTCDATETIME());
GO
