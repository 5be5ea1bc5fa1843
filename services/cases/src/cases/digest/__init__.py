"""人大代表之声: a periodic digest of deputies' suggestions and constituents' opinions."""
