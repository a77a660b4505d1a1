-- This migration intentionally left blank.
/* It only holds comments; */
;
-- end
