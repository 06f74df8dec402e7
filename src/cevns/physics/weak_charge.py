"""Standard-Model weak charge of a nucleus, Q_f(T), per neutrino flavour.

Q_f(T) = g_V^p(f) Z F_p(q) + g_V^n(f) N F_n(q), q = sqrt(2 M T)  (seed 002 eq. 11),
with separate proton and neutron form factors of the chosen parametrisation. A model
(SM or BSM) enters the fast prediction path only through this function of T.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .couplings import NucleonCouplings
from .form_factors import form_factor, klein_nystrand, momentum_transfer_mev
from .nuclei import Isotope

#: Name of the Klein-Nystrand variant of seed 004 eq. (3) with R_A = 1.23 A^(1/3) fm for
#: protons and neutrons alike (radii of the isotope ignored).
KN_A13 = "klein-nystrand-a13"
KN_A13_COEFF_FM = 1.23


def nucleon_form_factors(
    isotope: Isotope,
    t_nr_mev: ArrayLike,
    form_factor_name: str = "helm",
    proton_rms_radius_fm: ArrayLike | None = None,
    neutron_rms_radius_fm: ArrayLike | None = None,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """(F_p(T), F_n(T)) of ``isotope``; radii default to the isotope's own (fm)."""
    q = momentum_transfer_mev(t_nr_mev, isotope.mass_mev)
    if form_factor_name == KN_A13:
        # seed 004 eq. (3): one form factor for protons and neutrons, R_A = 1.23 A^(1/3) fm
        r_a = KN_A13_COEFF_FM * isotope.a ** (1.0 / 3.0)
        f = klein_nystrand(q, r_a_fm=r_a)
        return f, f
    rp = isotope.proton_rms_radius_fm if proton_rms_radius_fm is None else proton_rms_radius_fm
    rn = isotope.neutron_rms_radius_fm if neutron_rms_radius_fm is None else neutron_rms_radius_fm
    return form_factor(form_factor_name, q, rp), form_factor(form_factor_name, q, rn)


def sm_weak_charge(
    isotope: Isotope,
    couplings: NucleonCouplings,
    f_proton: ArrayLike,
    f_neutron: ArrayLike,
) -> NDArray[np.float64]:
    """Q(T) = g_V^p Z F_p + g_V^n N F_n for given form-factor arrays."""
    return couplings.proton * isotope.z * np.asarray(f_proton) + couplings.neutron * isotope.n * np.asarray(f_neutron)
