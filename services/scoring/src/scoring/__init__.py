"""The scoring service: the deputies' points ledger (积分) and the township work assessment (考核)."""
