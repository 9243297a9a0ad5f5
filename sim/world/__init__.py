"""The world a run happens in: the city, its consumers, stores and social network.

Modules:
    * :mod:`sim.world.city` - the grid, density and travel cost.
    * :mod:`sim.world.population` - consumers as arrays, with their consideration-set slots.
    * :mod:`sim.world.segments` - persona segments: consumers whose traits move together.
    * :mod:`sim.world.calendar` - weekdays, paydays and dated events that shift the will to visit.
    * :mod:`sim.world.stores` - the store table (capacity, hours, prices, ratings) and Mesa agents.
    * :mod:`sim.world.store_overrides` - single stores' settings by id from the config.
    * :mod:`sim.world.social` - the friendship network and word of mouth over it.
    * :mod:`sim.world.neighbours` - nearest-neighbour search on a grid of cells.
"""
