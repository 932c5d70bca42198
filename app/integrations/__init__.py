"""Links to systems outside the platform (the city's 房地产交易系统).

Only services call these clients; views and APIs go through a service, which turns the clients'
errors into the platform's domain errors.
"""
