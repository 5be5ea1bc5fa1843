"""Deputies service: rosters, stations, activities and township work records."""
