"""Channel adapters: SMTP e-mail, the SMS HTTP gateway and group-robot webhooks, behind one interface."""
