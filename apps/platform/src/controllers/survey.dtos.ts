import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
import { answerSurveyRequestSchema, answerSurveyResponseSchema, openSurveyRequestSchema, surveyCommentsSchema, surveyListQuerySchema, surveyResultsQuerySchema, surveyResultsSchema, surveySchema } from '@app/contracts';

export class OpenSurveyDto extends createZodDto(openSurveyRequestSchema) {}
export class AnswerSurveyDto extends createZodDto(answerSurveyRequestSchema) {}
export class AnswerSurveyResponseDto extends createZodDto(answerSurveyResponseSchema) {}
export class SurveyDto extends createZodDto(surveySchema) {}
export class SurveyListQueryDto extends createZodDto(surveyListQuerySchema) {}
export class SurveyResultsQueryDto extends createZodDto(surveyResultsQuerySchema) {}
export class SurveyResultsDto extends createZodDto(surveyResultsSchema) {}
export class SurveyCommentsDto extends createZodDto(surveyCommentsSchema) {}
export class SurveyIdParamDto extends createZodDto(z.object({ id: z.uuid() })) {}
