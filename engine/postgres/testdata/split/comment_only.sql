-- This migration intentionally left blank.
/* It only holds comments;
   /* even nested ones; */
*/
;
-- end
