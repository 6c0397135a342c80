-- Number 0009 is taken by another part of the project that is built at
-- the same time; this empty step keeps the numbers without a gap until
-- that migration replaces this file.
SELECT 1;
