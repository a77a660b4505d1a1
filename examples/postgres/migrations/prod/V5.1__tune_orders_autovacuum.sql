-- Production only: orders is large and busy, so vacuum and analyze it more
-- often than the defaults would.
ALTER TABLE orders SET (autovacuum_vacuum_scale_factor = 0.02, autovacuum_analyze_scale_factor = 0.01);
