"""Translatable names of states, reasons, lanes and directions (gettext msgids).

The API and push messages render them in the reader's language.
"""

from content.checkpoints.models import Direction, Lane, Reason, State
from content.errors import N_

STATE_LABELS = {
    State.OPEN: N_("Open"),
    State.CLOSED: N_("Closed"),
    State.RESTRICTED: N_("Restricted"),
}
REASON_LABELS = {
    Reason.WEATHER: N_("Bad weather"),
    Reason.TECHNICAL: N_("Technical problems"),
    Reason.HOLIDAY: N_("Public holiday"),
    Reason.SECURITY: N_("Security measures"),
    Reason.MAINTENANCE: N_("Maintenance work"),
    Reason.OTHER: N_("Other reasons"),
}
LANE_LABELS = {
    Lane.CAR: N_("Cars"),
    Lane.TRUCK: N_("Trucks"),
    Lane.BUS: N_("Buses"),
    Lane.PEDESTRIAN: N_("On foot"),
}
DIRECTION_LABELS = {
    Direction.EXIT: N_("Exit"),
    Direction.ENTRY: N_("Entry"),
}
#: an e-queue fact in a few words: booking required or available, in which system
EQUEUE_LABELS = {
    (True, True): N_("Booking required in %(system)s"),
    (True, False): N_("Booking required"),
    (False, True): N_("Booking available in %(system)s"),
    (False, False): N_("Booking available"),
}
#: an e-queue fact whose source names no direction
DIRECTION_UNSTATED = N_("Direction not stated")
