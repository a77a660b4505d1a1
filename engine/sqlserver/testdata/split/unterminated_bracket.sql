SELECT 1
GO
SELECT [unterminated
GO
SELECT 2
