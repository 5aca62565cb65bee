import type { Provider, Type } from '@nestjs/common';
import { BoardController, CommitteeBoardController, PublicBoardController } from '../controllers/board.controller';
import { BoardRepository } from '../repositories/board.repository';
import { BoardService } from '../services/board.service';
import { CommitteeBoardService } from '../services/committee-board.service';

/** The public disclosure board (公示栏, migration 0007); it shows billing's public disclosure too. Listed here, wired by app.module.ts. */
export const boardControllers: Type[] = [BoardController, CommitteeBoardController, PublicBoardController];
export const boardProviders: Provider[] = [BoardRepository, BoardService, CommitteeBoardService];
