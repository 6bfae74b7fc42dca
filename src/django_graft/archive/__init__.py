"""Archive format version 1: JSON Lines with a header, records and a trailer."""
