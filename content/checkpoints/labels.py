"""Translatable names of states, reasons, lanes, directions, and where queue figures
come from (gettext msgids).

The API and push messages render them in the reader's language; the API serves source
and method as codes, and the console shows their labels.
"""

from content.checkpoints.models import Direction, Lane, Method, Reason, Source, State
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
SOURCE_LABELS = {
    Source.AGENCY: N_("Border service"),
    Source.CROWD: N_("Travellers"),
    Source.EQUEUE: N_("Electronic queue"),
}
METHOD_LABELS = {
    Method.OFFICER_ESTIMATE: N_("Officer's estimate"),
    Method.SENSOR: N_("Sensor"),
    Method.EQUEUE: N_("Read from the electronic queue"),
    Method.CROWD_MEDIAN: N_("Median of travellers' reports"),
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
