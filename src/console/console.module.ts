import { Module } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ConsoleStatic } from './console-static';
import { MeController } from './me.controller';
import { OutstandingQueries } from './outstanding-queries';
import { OUTSTANDING_QUERIES, STATS_QUERIES, StatsController } from './stats.controller';
import { StatsQueries } from './stats-queries';

/** The web console: its static files at `/` and the read endpoints only it needs. HTTP processes only. */
@Module({
  controllers: [MeController, StatsController],
  providers: [
    { provide: STATS_QUERIES, inject: [DataSource], useFactory: (ds: DataSource) => new StatsQueries(ds) },
    { provide: OUTSTANDING_QUERIES, inject: [DataSource], useFactory: (ds: DataSource) => new OutstandingQueries(ds) },
    ConsoleStatic,
  ],
})
export class ConsoleModule {}
