"""Physical constants, in MeV and fm, each with its source.

Everything inside cevns is in natural units with energies and masses in MeV and
lengths in fm; conversions happen at the edges with the factors below.
Values are PDG 2022 (R.L. Workman et al., PTEP 2022, 083C01) unless stated, and
CODATA 2018 for the fundamental constants.
"""

from __future__ import annotations

import math

#: Fermi constant G_F [MeV^-2] (PDG 2022: 1.1663788(6)e-5 GeV^-2).
G_FERMI_MEV2 = 1.1663788e-11

#: hbar*c [MeV fm] (CODATA 2018: 197.3269804 MeV fm).
HBARC_MEV_FM = 197.3269804

#: (hbar*c)^2 in [MeV^2 cm^2], to turn MeV^-2 into cm^2 (1 fm = 1e-13 cm).
HBARC2_MEV2_CM2 = (HBARC_MEV_FM * 1e-13) ** 2

#: Fine-structure constant alpha (CODATA 2018: 1/137.035999084).
ALPHA_EM = 1.0 / 137.035999084

#: Avogadro constant [1/mol] (exact, SI 2019).
AVOGADRO = 6.02214076e23

#: Atomic mass unit [MeV] (CODATA 2018: 931.49410242 MeV).
AMU_MEV = 931.49410242

#: Electron mass [MeV] (CODATA 2018).
M_ELECTRON_MEV = 0.51099895000

#: Muon mass [MeV] (PDG 2022: 105.6583755).
M_MUON_MEV = 105.6583755

#: Tau mass [MeV] (PDG 2022: 1776.86).
M_TAU_MEV = 1776.86

#: Charged-pion mass [MeV] (PDG 2022: 139.57039).
M_PION_MEV = 139.57039

#: Proton mass [MeV] (CODATA 2018).
M_PROTON_MEV = 938.27208816

#: Neutron mass [MeV] (CODATA 2018).
M_NEUTRON_MEV = 939.56542052

#: Charged-pion mean life [ns] (PDG 2022: 2.6033e-8 s).
TAU_PION_NS = 26.033

#: Muon mean life [ns] (PDG 2022: 2.1969811e-6 s).
TAU_MUON_NS = 2196.9811

#: Low-energy weak mixing angle sin^2(theta_W) in the MSbar scheme at q -> 0
#: (PDG 2022 "Electroweak model" review, 0.23857(5)); used by seed 004 sec. 2.1.
SIN2_THETA_W_LOW_ENERGY = 0.23857

#: Prompt nu_mu energy from pi+ -> mu+ nu_mu at rest, (m_pi^2 - m_mu^2)/(2 m_pi) [MeV]
#: (seed 002 eq. 1): 29.79 MeV.
E_NU_PROMPT_MEV = (M_PION_MEV**2 - M_MUON_MEV**2) / (2.0 * M_PION_MEV)

#: End point of the Michel spectra, m_mu/2 [MeV] (seed 002 eqs. 2-3).
E_NU_MAX_MEV = M_MUON_MEV / 2.0

#: Bohr magneton in natural units e/(2 m_e) with e = sqrt(4 pi alpha) [MeV^-1].
MU_BOHR_PER_MEV = math.sqrt(4.0 * math.pi * ALPHA_EM) / (2.0 * M_ELECTRON_MEV)

#: seconds per (Julian) year, 365.25 d (IAU), for rates per year of exposure.
SECONDS_PER_YEAR = 365.25 * 86400.0

#: 1 kg in grams, for target counts N_A * m / M_molar.
GRAMS_PER_KG = 1000.0

#: centimetres per metre, for the flux normalisation r N_POT / (4 pi L^2).
CM_PER_M = 100.0
