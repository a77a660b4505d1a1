IF NOT EXISTS (SELECT 1 FROM sys.columns WHERE name = N'statement_checksums' AND object_id = OBJECT_ID(N'[shop]]db].[app].[strata_schema_history]'))
ALTER TABLE [shop]]db].[app].[strata_schema_history] ADD [statement_checksums] NVARCHAR(MAX)
GO
IF NOT EXISTS (SELECT 1 FROM sys.columns WHERE name = N'mark' AND object_id = OBJECT_ID(N'[shop]]db].[app].[strata_schema_history]'))
ALTER TABLE [shop]]db].[app].[strata_schema_history] ADD [mark] NVARCHAR(20)
