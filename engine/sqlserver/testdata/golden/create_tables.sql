IF OBJECT_ID(N'[shop]]db].[app].[strata_schema_history_meta]', N'U') IS NULL
CREATE TABLE [shop]]db].[app].[strata_schema_history_meta] (
    [name]  NVARCHAR(100) NOT NULL PRIMARY KEY,
    [value] NVARCHAR(1000) NOT NULL
)
GO
IF OBJECT_ID(N'[shop]]db].[app].[strata_schema_history]', N'U') IS NULL
CREATE TABLE [shop]]db].[app].[strata_schema_history] (
    [installed_rank]   INT IDENTITY(1, 1) NOT NULL,
    [version]          NVARCHAR(50),
    [description]      NVARCHAR(200),
    [type]             NVARCHAR(20) NOT NULL,
    [script]           NVARCHAR(1000) NOT NULL,
    [checksum]         INT,
    [installed_by]     NVARCHAR(100) NOT NULL,
    [installed_on]     DATETIME NOT NULL DEFAULT GETDATE(),
    [execution_time]   INT NOT NULL,
    [success]          BIT NOT NULL,
    [tenant]           NVARCHAR(128) NOT NULL,
    [version_key]      NVARCHAR(400),
    [error]            NVARCHAR(MAX),
    [failed_statement] INT,
    [progress]         INT NOT NULL DEFAULT 0,
    [statement_checksums] NVARCHAR(MAX),
    [mark]             NVARCHAR(20),
    CONSTRAINT [strata_schema_history_pk] PRIMARY KEY ([installed_rank])
)
GO
IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE name = N'strata_schema_history_s_idx' AND object_id = OBJECT_ID(N'[shop]]db].[app].[strata_schema_history]'))
CREATE INDEX [strata_schema_history_s_idx] ON [shop]]db].[app].[strata_schema_history] ([success])
GO
IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE name = N'strata_schema_history_tv_idx' AND object_id = OBJECT_ID(N'[shop]]db].[app].[strata_schema_history]'))
CREATE INDEX [strata_schema_history_tv_idx] ON [shop]]db].[app].[strata_schema_history] ([tenant], [version_key])
GO
IF OBJECT_ID(N'[shop]]db].[app].[strata_schema_history_state]', N'U') IS NULL
CREATE TABLE [shop]]db].[app].[strata_schema_history_state] (
    [tenant]      NVARCHAR(128) NOT NULL PRIMARY KEY,
    [version]     NVARCHAR(50),
    [version_key] NVARCHAR(400),
    [fingerprint] NVARCHAR(16),
    [applied]     INT NOT NULL DEFAULT 0,
    [failed]      BIT NOT NULL DEFAULT 0,
    [error]       NVARCHAR(MAX),
    [generation]  BIGINT NOT NULL DEFAULT 0,
    [updated_on]  DATETIME NOT NULL DEFAULT GETDATE()
)
