"""Notify: the right person hears at the right time, once, by e-mail, SMS, group robot or in-app."""
