"""Contract and billing writes: `contracts.services.contracts` and `.billing`."""
