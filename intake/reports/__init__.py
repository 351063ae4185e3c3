"""What the review board and the public read: the board report, its rendering and charts, open data, early warning."""
