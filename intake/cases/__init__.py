"""A case's life: filing, its status, duplicates, the officers named, tracking numbers, export."""
