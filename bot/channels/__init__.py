"""How citizens reach the bot: the web API and pages (web/), SMS, and the state kept between their requests."""
