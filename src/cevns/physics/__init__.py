"""Physics below the source layer: constants (CODATA/PDG), nuclei with named radius sets,
form factors, SM couplings and weak charges, CEvNS and neutrino-electron cross sections,
and the muon g-2 band. Pure functions over NumPy arrays, MeV and fm inside."""
