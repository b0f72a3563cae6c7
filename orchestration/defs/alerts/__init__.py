"""The alerts domain: the sensor that checks every tenant and sends what is due (coach.alerts)."""
