"""The local devnet: anvil, the contracts, N guardian processes, the exploit, and the live view."""
