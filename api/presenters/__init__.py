"""How domain objects are shown, for the API's routes and the console alike: one module
per resource. Route modules import presenters from here, never from each other."""
