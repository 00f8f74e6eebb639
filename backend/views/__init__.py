"""Interactive network views: query results drawn with vis-network in one self-contained HTML page."""
