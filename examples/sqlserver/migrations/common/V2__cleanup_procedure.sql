CREATE PROCEDURE ${strata:schema}.purge_old_customers
AS
BEGIN
    SET NOCOUNT ON;
    DELETE FROM ${strata:schema}.customers
    WHERE created_at < DATEADD(DAY, -${retention_days}, SYSUTCDATETIME());
END
GO
