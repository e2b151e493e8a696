"""The people behind the bot: timelines, order data, the hand-over queue, reports and ROI."""
