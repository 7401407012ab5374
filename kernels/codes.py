"""Integer codes and physical constants shared by the kernels and the library: one definition each.

The kernels import nothing from the mcdose library; the library takes these names from here
(``mcdose.kernels.codes``), so a code can never mean one thing in Python and another in a kernel.
"""
import math

# Particle kinds: the kind column of the particle stack (kernels/tally.py) and SourceArrays.particle.
PHOTON, ELECTRON, POSITRON = 0, 1, 2

# Charged-particle index p of the electron tables ElectronData.<table>[mat, p] (mcdose/electron_data.py).
E_MINUS, E_PLUS = 0, 1

# Discrete electron/positron processes: index k of ElectronData.sigma[mat, p, k].
DELTA, BREMS, ANNIHILATION = 0, 1, 2

# Photon processes: rows of PhotonData.mu (mcdose/photon_data.py); TOTAL is their sum.
PHOTOELECTRIC, INCOHERENT, COHERENT, PAIR, TOTAL = 0, 1, 2, 3, 4

# Energy-balance counters: columns of a tally's int64 counter row (kernels/tally.py). RADIATED: energy given to
# bremsstrahlung photons above the production threshold (discrete events, weighted), not part of the balance.
EMITTED, DEPOSITED, ESCAPED, LOST_ENERGY, LOST_COUNT, RADIATED = 0, 1, 2, 3, 4, 5
# Charged-particle steps by what ended them (counts; a profile, not part of the balance): the energy-loss limit
# (physics.max_step_loss), the part's step cap, the multiple-scattering limit (physics.max_step_scatter), a real or a
# fictitious discrete event, the cut-off, a boundary, a vacuum gap; RANGE_REJECTED counts range rejections.
STEP_LOSS, STEP_REGION, STEP_Q1, STEP_DISCRETE, STEP_FICTITIOUS, STEP_CUTOFF, STEP_BOUNDARY, STEP_VACUUM, \
    RANGE_REJECTED = 6, 7, 8, 9, 10, 11, 12, 13, 14
STEP_CAUSES = {"energy-loss limit": STEP_LOSS, "part step cap": STEP_REGION, "multiple-scattering limit": STEP_Q1,
               "discrete event": STEP_DISCRETE, "fictitious event": STEP_FICTITIOUS, "cut-off": STEP_CUTOFF,
               "boundary": STEP_BOUNDARY, "vacuum": STEP_VACUUM, "range rejection": RANGE_REJECTED}
N_COUNTERS = 15
# Column N_COUNTERS + r of the counter row: energy scored in region r (GeometryArrays.cell_region).

# Scoring-mesh kinds: MeshArrays.kind (kernels/mesh.py).
CARTESIAN, CYLINDRICAL, SPHERICAL = 0, 1, 2

# Source kinds: SourceArrays.kind (kernels/source.py).
BEAM_CIRCLE, BEAM_RECTANGLE, POINT, VOLUME, LINAC_HEAD, PHASE_SPACE = 0, 1, 2, 3, 4, 5

# Physical constants: CODATA 2018 (E. Tiesinga, P. J. Mohr, D. B. Newell, B. N. Taylor,
# Rev. Mod. Phys. 93 (2021) 025010).
MEC2 = 0.51099895000                             # electron rest energy m_e c^2, MeV
HBAR_C_MEV_CM = 197.3269804e-13                  # reduced Planck constant times speed of light, hbar c, MeV cm
HC_KEV_A = 2 * math.pi * HBAR_C_MEV_CM * 1e11    # h c = 12.398 keV Å: x = E[keV] sin(theta/2) / HC_KEV_A, 1/Å
