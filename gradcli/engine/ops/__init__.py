"""Op families; each module defines its ops once and exports FUNCTIONS for the registry (engine.api)."""
